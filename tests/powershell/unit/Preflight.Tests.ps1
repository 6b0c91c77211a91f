# Unit tests: what must hold before anything is installed (Private/Preflight.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Get-ExcludedPortRange' {
    It 'reads the numbers only, whatever language the headers are in, with administered ranges too' {
        InModuleScope WslPortProxy {
            Mock Get-SystemProgram { 'netsh.exe' }
            Mock Invoke-NativeCommand {
                [pscustomobject]@{ ExitCode = 0; Output = @('', 'Protokoll tcp Portausschlussbereiche', '', 'Startport    Endport',
                        '----------    --------', '      1383        1383', '     50000       50059     *', '', '* - Verwaltete Portausschluesse.') }
            }
            @(Get-ExcludedPortRange | ForEach-Object { '{0}-{1} {2}' -f $_.First, $_.Last, $_.Administered }) | Should -Be @('1383-1383 False', '50000-50059 True')
            Should -Invoke Invoke-NativeCommand -Times 1 -Exactly -ParameterFilter { "$ArgumentList" -eq 'int ipv4 show excludedportrange protocol=tcp' }
        }
    }

    It 'Given <Case>, a port in it is <Outcome>' -ForEach @(
        @{ Case = 'a range Hyper-V or WinNAT reserves'; Administered = $false; Outcome = 'a problem' }
        @{ Case = 'an administered exclusion (netsh int ipv4 add excludedportrange, marked *)'; Administered = $true; Outcome = 'a warning' }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Administered = $Administered } {
            param($Administered)
            $ranges = @([pscustomobject]@{ First = 8400; Last = 8499; Administered = $Administered })
            $finding = Get-ExcludedPortFinding -Port 8443 -Range $ranges
            if ($Administered) {
                $finding.Problem | Should -BeExactly ''
                $finding.Warning | Should -BeExactly 'Port 8443 lies in the administered port exclusion 8400-8499 (marked * by netsh int ipv4 show excludedportrange protocol=tcp): that keeps it out of the dynamic ports, and IP Helper''s explicit bind is expected to succeed; if -Status shows it not listening, remove the exclusion or forward another port.'
            }
            else {
                $finding.Warning | Should -BeExactly ''
                $finding.Problem | Should -BeExactly 'Port 8443 lies in the excluded port range 8400-8499 (netsh int ipv4 show excludedportrange protocol=tcp): Windows reserves it and IP Helper cannot listen there; forward another port.'
            }
            (Get-ExcludedPortFinding -Port 8500 -Range $ranges).Problem + (Get-ExcludedPortFinding -Port 8500 -Range $ranges).Warning | Should -BeExactly ''
        }
    }

    It 'fails when netsh fails' {
        InModuleScope WslPortProxy {
            Mock Get-SystemProgram { 'netsh.exe' }
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 1; Output = @('The requested operation requires elevation.') } }
            { Get-ExcludedPortRange } | Should -Throw -ErrorId 'WslPortProxy.NetshFailed' -ExpectedMessage 'netsh int ipv4 show excludedportrange protocol=tcp failed (exit 1): The requested operation requires elevation.'
        }
    }
}

Describe 'Get-WindowsBuildProblem' {
    It 'Given build <Build>, says "<Expected>"' -ForEach @(
        @{ Build = '20348'; Expected = '' }
        @{ Build = '19041'; Expected = '' }
        @{ Build = '17763'; Expected = 'Windows build 17763 cannot run WSL 2*' }
        @{ Build = 'garbage'; Expected = 'The Windows build number cannot be read (HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion, CurrentBuildNumber).' }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Build = $Build; Expected = $Expected } {
            param($Build, $Expected)
            $mock = [scriptblock]::Create("[pscustomobject]@{ CurrentBuildNumber = '$Build' }")
            Mock Get-ItemProperty -MockWith $mock -ParameterFilter { $LiteralPath -eq 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' }
            Get-WindowsBuildProblem | Should -BeLike $Expected
        }
    }
}

Describe 'Get-ExecutionPolicyProblem' {
    BeforeAll {
        $script:Dist = New-TestBundle -Inventory "servers:`n  - name: WEB-01`n    ports: [80]`n"
    }

    It 'Given Group Policy sets <Policy>, finds <Problems> problem(s)' -ForEach @(
        @{ Policy = 'RemoteSigned'; Problems = 0 }
        @{ Policy = 'Undefined'; Problems = 0 }
        @{ Policy = 'AllSigned'; Problems = 1 }
        @{ Policy = 'Restricted'; Problems = 1 }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Bundle = (Join-Path $script:Dist 'WEB-01'); Policy = $Policy; Problems = $Problems } {
            param($Bundle, $Policy, $Problems)  # (a key named Count would shadow the table's Count)
            Mock Get-ExecutionPolicy -MockWith ([scriptblock]::Create("'$Policy'")) -ParameterFilter { $Scope -eq 'MachinePolicy' }
            Mock Get-ExecutionPolicy { 'Undefined' } -ParameterFilter { $Scope -eq 'UserPolicy' }
            @(Get-ExecutionPolicyProblem -BundlePath $Bundle) | Should -HaveCount $Problems
            Should -Invoke Get-ExecutionPolicy -Times 2 -Exactly
        }
    }

    It 'never asks for the signature of the per-server settings file (a release cannot sign it)' {
        InModuleScope WslPortProxy -Parameters @{ Bundle = (Join-Path $script:Dist 'WEB-01') } {
            param($Bundle)
            Mock Get-ExecutionPolicy { 'AllSigned' }
            Mock Get-AuthenticodeSignature { [pscustomobject]@{ Status = 'Valid' } }
            @(Get-ExecutionPolicyProblem -BundlePath $Bundle) | Should -HaveCount 0
            Should -Invoke Get-AuthenticodeSignature -Times 0 -ParameterFilter { $FilePath -like '*WslPortProxy.Settings.psd1' }
            Should -Invoke Get-AuthenticodeSignature -ParameterFilter { $FilePath -like '*WslPortProxy.psm1' }
        }
    }
}

Describe 'Get-InteropWarning' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'warns when interop is on, is quiet when it is off, and does not ask a distribution that is not running' {
        InModuleScope WslPortProxy { Get-InteropWarning -Distro 'podman-machine-default' | Should -BeLike "Interop is on in WSL distribution 'podman-machine-default': *wsl --terminate podman-machine-default." }
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.241.140'; interop = $false } }
        InModuleScope WslPortProxy { Get-InteropWarning -Distro 'podman-machine-default' | Should -Be '' }
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.241.140'; stopped = $true } }
        Clear-SimCall
        InModuleScope WslPortProxy { Get-InteropWarning -Distro 'podman-machine-default' | Should -BeLike "Interop was not checked: WSL distribution 'podman-machine-default' is not running for CORP\svc-podman*" }
        Get-SimCall -Program 'wsl' | Should -Be @('wsl --list --running --quiet')
    }

    It 'says it could not check when wsl.exe is missing or the probe fails' {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.241.140'; hang = 0 } }
        InModuleScope WslPortProxy {
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 0; Output = @('podman-machine-default') } } -ParameterFilter { $ArgumentList[0] -eq '--list' }
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 1; Output = @('Catastrophic failure') } } -ParameterFilter { $ArgumentList[0] -eq '--distribution' }
            Get-InteropWarning -Distro 'podman-machine-default' | Should -Be 'Interop was not checked: wsl.exe exit 1: Catastrophic failure'
        }
        Remove-SimWsl
        InModuleScope WslPortProxy { Get-InteropWarning -Distro 'podman-machine-default' | Should -BeLike 'Interop was not checked: wsl.exe was not found*' }
    }
}
