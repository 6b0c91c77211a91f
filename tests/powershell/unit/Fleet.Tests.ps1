# Unit tests: pushing bundles over PowerShell remoting (Private/Fleet.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
    function New-FleetFolder {
        <# A fleet folder with WslPortProxy.Fleet.json and a bundle folder (manifest.json) per server. #>
        param([string] $Root, [string] $Data, [string[]] $Server = @())
        $fleet = Join-Path $Root '_fleet'
        New-Item -ItemType Directory -Path $fleet -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $fleet 'WslPortProxy.Fleet.json') -Value $Data
        foreach ($name in $Server) {
            New-Item -ItemType Directory -Path (Join-Path $Root $name) -Force | Out-Null
            Set-Content -LiteralPath (Join-Path $Root "$name/manifest.json") -Value "{`"server`": `"$name`"}" -NoNewline
        }
        return $fleet
    }
    $script:Data = @'
{"SchemaVersion": 1, "Generator": "wsl-portproxy test", "Servers": [
    {"Name": "WEB-01", "InstallDirectory": "%ProgramData%\\WslPortProxy", "Start": "boot"},
    {"Name": "WEB-02", "InstallDirectory": "%ProgramData%\\WslPortProxy", "Start": "logon"},
    {"Name": "APP-7", "InstallDirectory": "D:\\Tools\\Wsl", "Start": "logon"}
]}
'@
}

Describe 'Import-FleetData and Select-FleetServer' {
    It 'reads the servers, each with its bundle folder beside the fleet folder' {
        $fleet = New-FleetFolder -Root $TestDrive -Data $script:Data
        InModuleScope WslPortProxy -Parameters @{ Fleet = $fleet } {
            param($Fleet)
            $servers = @(Import-FleetData -FleetPath $Fleet)
            @($servers.Name) | Should -Be @('WEB-01', 'WEB-02', 'APP-7')
            $servers[2].InstallDirectory | Should -BeExactly 'D:\Tools\Wsl'
            $servers[0].Bundle | Should -Be (Join-Path (Split-Path $Fleet) 'WEB-01')
            @((Select-FleetServer -Server $servers -ComputerName 'web-02', 'APP-7').Name) | Should -Be @('WEB-02', 'APP-7')
            { Select-FleetServer -Server $servers -ComputerName 'MAIL' } | Should -Throw -ErrorId 'WslPortProxy.UnknownServer' -ExpectedMessage 'No server named MAIL in the fleet (it has: WEB-01, WEB-02, APP-7).'
        }
    }

    It 'reads a name that looks like a date as text (PowerShell 7''s ConvertFrom-Json turns ISO date-times into [datetime])' {
        $fleet = New-FleetFolder -Root $TestDrive -Data '{"SchemaVersion": 1, "Servers": [{"Name": "2024-01-01T10", "InstallDirectory": "x", "Start": "Logon"}]}'
        InModuleScope WslPortProxy -Parameters @{ Fleet = $fleet } {
            param($Fleet)
            $server = @(Import-FleetData -FleetPath $Fleet)
            $server[0].Name | Should -BeOfType [string]
            $server[0].Name | Should -BeExactly '2024-01-01T10'
        }
    }

    It 'refuses a fleet file <Case> (exit code 10)' -ForEach @(
        @{ Case = 'of another version'; Data = '{"SchemaVersion": 2, "Servers": [{"Name": "WEB-01", "InstallDirectory": "x", "Start": "boot"}]}' }
        @{ Case = 'without a version'; Data = '{"Servers": [{"Name": "WEB-01", "InstallDirectory": "x", "Start": "boot"}]}' }
        @{ Case = 'with a bad Start'; Data = '{"SchemaVersion": 1, "Servers": [{"Name": "WEB-01", "InstallDirectory": "x", "Start": "reboot"}]}' }
        @{ Case = 'with an entry without Start'; Data = '{"SchemaVersion": 1, "Servers": [{"Name": "WEB-01", "InstallDirectory": "x"}]}' }
        @{ Case = 'with a Name that is not text'; Data = '{"SchemaVersion": 1, "Servers": [{"Name": 7, "InstallDirectory": "x", "Start": "boot"}]}' }
        @{ Case = 'with an entry that is not an object'; Data = '{"SchemaVersion": 1, "Servers": ["WEB-01"]}' }
        @{ Case = 'without servers'; Data = '{"SchemaVersion": 1, "Servers": []}' }
        @{ Case = 'that is a list'; Data = '[{"Name": "WEB-01", "InstallDirectory": "x", "Start": "boot"}]' }
    ) {
        $fleet = New-FleetFolder -Root $TestDrive -Data $Data
        InModuleScope WslPortProxy -Parameters @{ Fleet = $fleet } {
            param($Fleet)
            { Import-FleetData -FleetPath $Fleet } | Should -Throw -ErrorId 'WslPortProxy.InvalidFleet' -ExpectedMessage "The fleet file $(Join-Path $Fleet 'WslPortProxy.Fleet.json') is not one this module reads*"
            try { Import-FleetData -FleetPath $Fleet } catch { Get-FailureExitCode -ErrorRecord $_ | Should -Be 10 }
        }
    }

    It 'says why a fleet file that is not JSON, or is missing, cannot be read; an empty one is refused too (exit code 10)' {
        $fleet = New-FleetFolder -Root $TestDrive -Data "@{ SchemaVersion = 1 }"
        InModuleScope WslPortProxy -Parameters @{ Fleet = $fleet } {
            param($Fleet)
            $path = Join-Path $Fleet 'WslPortProxy.Fleet.json'
            { Import-FleetData -FleetPath $Fleet } | Should -Throw -ErrorId 'WslPortProxy.InvalidFleet' -ExpectedMessage "The fleet file $path cannot be read: *"
            Remove-Item -LiteralPath $path
            { Import-FleetData -FleetPath $Fleet } | Should -Throw -ErrorId 'WslPortProxy.InvalidFleet' -ExpectedMessage "The fleet file $path cannot be read: *"
            [System.IO.File]::WriteAllText($path, '')
            try { Import-FleetData -FleetPath $Fleet; throw 'read an empty fleet file' } catch { Get-FailureExitCode -ErrorRecord $_ | Should -Be 10 }
        }
    }
}

Describe 'Import-FleetData at fleet scale' {
    # Import-PowerShellDataFile refuses data past 5,000 syntax nodes or 500 keys in one hashtable
    # (PowerShell's SafeValues.cs; Windows PowerShell 5.1 has no -SkipLimitCheck): the fleet file
    # was PowerShell data (7 visits a server) and was refused past 713 servers; now it is JSON.
    It 'meets the limits in the PowerShell that runs the tests (the real Import-PowerShellDataFile, no fake)' {
        function Test-DataFile([string] $Text) {
            $path = Join-Path $TestDrive 'limit.psd1'
            Set-Content -LiteralPath $path -Value $Text
            try { $null = Import-PowerShellDataFile -LiteralPath $path; return 'read' }
            catch { return $_.Exception.Message }
        }
        $refused = 'Cannot generate a PowerShell object for a ScriptBlock evaluating dynamic'
        # One visit for the key, one for the statement, one per value: refused from 5,000 visits.
        Test-DataFile ('@{ K = @(' + ((1..4997) -join ',') + ') }') | Should -BeExactly 'read'
        Test-DataFile ('@{ K = @(' + ((1..4998) -join ',') + ') }') | Should -BeLike "$refused*"
        Test-DataFile ('@{ ' + ((1..500 | ForEach-Object { "k$_ = 1" }) -join '; ') + ' }') | Should -BeExactly 'read'
        Test-DataFile ('@{ ' + ((1..501 | ForEach-Object { "k$_ = 1" }) -join '; ') + ' }') | Should -BeLike "$refused*"
    }

    It 'reads the fleet folder the generator writes for 10,000 servers' {
        $folder = Join-Path $TestDrive 'scale'
        New-Item -ItemType Directory -Path $folder | Out-Null
        $inventory = Join-Path $folder 'inventory.yaml'
        $servers = 0..9999 | ForEach-Object { '  - name: S{0:d5}' -f $_ }
        Write-SimText -Path $inventory -Text ("defaults:`n  ports: [80]`nservers:`n" + ($servers -join "`n") + "`n")
        $python = Get-SimPython
        $output = & $python -m wsl_portproxy generate $inventory -o (Join-Path $folder 'dist') --server S09999 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$output"
        InModuleScope WslPortProxy -Parameters @{ Fleet = (Join-Path $folder 'dist/_fleet') } {
            param($Fleet)
            $read = @(Import-FleetData -FleetPath $Fleet)
            $read | Should -HaveCount 10000
            $read[9999].Name | Should -BeExactly 'S09999'
            $read[9999].InstallDirectory | Should -BeExactly '%ProgramData%\WslPortProxy'
            $read[9999].Start | Should -BeExactly 'boot'
            $read[9999].Bundle | Should -Be (Join-Path (Split-Path $Fleet) 'S09999')
            Test-Path -LiteralPath (Join-Path $read[9999].Bundle 'manifest.json') | Should -BeTrue
        }
    }
}

Describe 'Open-FleetSession' {
    It 'opens all sessions in one call and says why a server has none' {
        InModuleScope WslPortProxy {
            Mock New-PSSession {
                [pscustomobject]@{ ComputerName = 'WEB-01' }
                Write-Error -Message 'Connecting to remote server WEB-02 failed with the following error message : WinRM cannot complete the operation.'
            }
            $open = Open-FleetSession -ComputerName 'WEB-01', 'WEB-02', 'APP-7' -Credential $null -ThrottleLimit 4
            @($open.Sessions.ComputerName) | Should -Be @('WEB-01')
            $open.Failed['WEB-02'] | Should -BeExactly 'Connecting to remote server WEB-02 failed with the following error message : WinRM cannot complete the operation.'
            $open.Failed['APP-7'] | Should -BeExactly 'no PowerShell remoting session to APP-7'
            Should -Invoke New-PSSession -Times 1 -Exactly -ParameterFilter { $ThrottleLimit -eq 4 -and $ComputerName.Count -eq 3 -and $null -eq $Credential }
        }
    }
}

Describe 'Get-InstalledManifest' {
    It 'asks once per install folder and maps each answer to its computer' {
        InModuleScope WslPortProxy {
            Mock Invoke-Command -RemoveParameterType Session {
                foreach ($item in $Session) { [pscustomobject]@{ Manifest = "m-$($item.ComputerName)-$($ArgumentList[0])"; PSComputerName = $item.ComputerName } }
            }
            $servers = @(
                [pscustomobject]@{ Name = 'WEB-01'; InstallDirectory = 'A' }, [pscustomobject]@{ Name = 'WEB-02'; InstallDirectory = 'A' },
                [pscustomobject]@{ Name = 'APP-7'; InstallDirectory = 'B' })
            $sessions = @([pscustomobject]@{ ComputerName = 'WEB-01' }, [pscustomobject]@{ ComputerName = 'APP-7' })
            $installed = Get-InstalledManifest -Server $servers -Session $sessions -ThrottleLimit 2
            $installed['WEB-01'] | Should -Be 'm-WEB-01-A'
            $installed['APP-7'] | Should -Be 'm-APP-7-B'
            $installed.ContainsKey('WEB-02') | Should -BeFalse
            Should -Invoke Invoke-Command -Times 2 -Exactly -ParameterFilter { $ThrottleLimit -eq 2 }
        }
    }
}

Describe 'Invoke-FleetDeploy' {
    BeforeEach {
        $script:Fleet = New-FleetFolder -Root $TestDrive -Data $script:Data -Server 'WEB-01', 'WEB-02', 'APP-7'
    }

    It 'leaves a current server alone, installs a new one, upgrades an old one, and reports an unreachable one' {
        InModuleScope WslPortProxy -Parameters @{ Fleet = $script:Fleet } {
            param($Fleet)
            $servers = @(Import-FleetData -FleetPath $Fleet)
            Mock Get-InstalledManifest { @{ 'WEB-01' = '{"server": "WEB-01"}'; 'WEB-02' = '' } }
            Mock Copy-FleetBundle { }
            Mock Invoke-FleetInstall { foreach ($item in $Plan) { ConvertTo-DeployResult -Server $item.Name -Action $item.Action -ExitCode 0 } }
            $open = [pscustomobject]@{ Sessions = @([pscustomobject]@{ ComputerName = 'WEB-01' }, [pscustomobject]@{ ComputerName = 'WEB-02' }); Failed = @{ 'APP-7' = 'no session' } }
            $password = ConvertTo-SecureString -String 'x' -AsPlainText -Force
            $results = @(Invoke-FleetDeploy -Server $servers -Open $open -ThrottleLimit 2 -Activity 'a' -FleetPath $Fleet -TaskPassword $password)
            @($results | ForEach-Object { "$($_.Server)=$($_.Action)" }) | Should -Be @('WEB-01=unchanged', 'WEB-02=installed', 'APP-7=failed')
            $results[2].Message | Should -BeExactly 'no session'
            Should -Invoke Copy-FleetBundle -Times 1 -Exactly -ParameterFilter { $Session.ComputerName -eq 'WEB-02' }
            Should -Invoke Invoke-FleetInstall -Times 1 -Exactly -ParameterFilter { @($Plan.Name) -join ',' -eq 'WEB-02' }
        }
    }

    It 'fails a boot server without a task password before copying, and -WhatIf only plans' {
        InModuleScope WslPortProxy -Parameters @{ Fleet = $script:Fleet } {
            param($Fleet)
            $servers = @(Import-FleetData -FleetPath $Fleet)
            Mock Get-InstalledManifest { @{ 'WEB-01' = ''; 'WEB-02' = 'old'; 'APP-7' = 'old' } }
            Mock Copy-FleetBundle { }
            Mock Invoke-FleetInstall { }
            $open = [pscustomobject]@{ Sessions = @('WEB-01', 'WEB-02', 'APP-7' | ForEach-Object { [pscustomobject]@{ ComputerName = $_ } }); Failed = @{} }
            $planned = @(Invoke-FleetDeploy -Server $servers -Open $open -ThrottleLimit 2 -Activity 'a' -FleetPath $Fleet -TaskPassword $null -WhatIf)
            @($planned.Action) | Should -Be @('would install', 'would upgrade', 'would upgrade')
            $results = @(Invoke-FleetDeploy -Server $servers[0] -Open $open -ThrottleLimit 2 -Activity 'a' -FleetPath $Fleet -TaskPassword $null)
            $results[0].Message | Should -BeExactly 'WEB-01 starts at boot: give -TaskPassword, the password of its task account'
            Should -Invoke Copy-FleetBundle -Times 0 -Exactly
            Should -Invoke Invoke-FleetInstall -Times 0 -Exactly
        }
    }
}

Describe 'Invoke-FleetInstall' {
    It 'runs the snippet once for all servers and reports each exit code, or the remote error when none came back' {
        InModuleScope WslPortProxy {
            Mock Invoke-Command -RemoveParameterType Session -ParameterFilter { $FilePath } {
                [pscustomobject]@{ exit_code = 0; message = 'fine'; PSComputerName = 'WEB-01' }
                [pscustomobject]@{ exit_code = 7; message = 'preflight'; PSComputerName = 'WEB-02' }
                Write-Error -Message 'session broke' -TargetObject 'APP-7'
            }
            Mock Invoke-Command -RemoveParameterType Session -ParameterFilter { $ScriptBlock } { }
            $plan = 'WEB-01', 'WEB-02', 'APP-7' | ForEach-Object { [pscustomobject]@{ Name = $_; Session = [pscustomobject]@{ ComputerName = $_ }; Action = 'upgraded' } }
            $password = ConvertTo-SecureString -String 'Corr3ct' -AsPlainText -Force
            $results = @(Invoke-FleetInstall -Plan $plan -FleetPath 'F' -TaskPassword $password -ThrottleLimit 3)
            @($results | ForEach-Object { "$($_.Server)=$($_.Action)/$($_.ExitCode)" }) | Should -Be @('WEB-01=upgraded/0', 'WEB-02=failed/7', 'APP-7=failed/')
            $results[2].Message | Should -BeExactly 'the installer returned nothing: session broke'
            Should -Invoke Invoke-Command -Times 1 -Exactly -ParameterFilter { $FilePath -and $ArgumentList[1] -is [System.Management.Automation.PSCredential] -and $ArgumentList[1].GetNetworkCredential().Password -eq 'Corr3ct' -and $ThrottleLimit -eq 3 -and $Session.Count -eq 3 }
            Should -Invoke Invoke-Command -Times 0 -Exactly -ParameterFilter { @($ArgumentList) -contains 'Corr3ct' }   # never in plain text
            Should -Invoke Invoke-Command -Times 1 -Exactly -ParameterFilter { $ScriptBlock }   # the copies are removed
        }
    }
}

Describe 'Get-RemoteErrorComputer' {
    It 'names the computer of a remote error (OriginInfo), else the error''s target' {
        InModuleScope WslPortProxy {
            $record = [System.Management.Automation.ErrorRecord]::new([System.Exception]::new('x'), 'x', 'NotSpecified', 'WEB-09')
            $origin = [System.Management.Automation.Remoting.OriginInfo]::new('APP-7', [guid]::NewGuid())
            Get-RemoteErrorComputer -ErrorRecord ([System.Management.Automation.Runspaces.RemotingErrorRecord]::new($record, $origin)) | Should -BeExactly 'APP-7'
            Get-RemoteErrorComputer -ErrorRecord $record | Should -BeExactly 'WEB-09'
        }
    }
}

Describe 'Copy-FleetBundle' {
    # Copy-Item's -ToSession only binds a real PSSession, which Pester cannot strip: the copy itself
    # is tested on the simulated fleet (e2e/Fleet.Tests.ps1), which stands in for Copy-Item -ToSession.
    It 'under -WhatIf neither asks the server nor copies' {
        InModuleScope WslPortProxy {
            Mock Invoke-Command -RemoveParameterType Session { 'C:\Temp\wsl-portproxy-bundle' }
            Mock Copy-Item { }
            Copy-FleetBundle -Session ([pscustomobject]@{ ComputerName = 'WEB-01' }) -Bundle 'dist/WEB-01' -WhatIf
            Should -Invoke Invoke-Command -Times 0 -Exactly
            Should -Invoke Copy-Item -Times 0 -Exactly
        }
    }

    It 'copies nothing when the server names no folder (never to the local or remote current folder)' {
        InModuleScope WslPortProxy {
            Mock Invoke-Command -RemoveParameterType Session { }
            Mock Copy-Item { }
            { Copy-FleetBundle -Session ([pscustomobject]@{ ComputerName = 'WEB-01' }) -Bundle 'dist/WEB-01' } |
                Should -Throw -ErrorId 'WslPortProxy.NoStagingFolder' -ExpectedMessage "WEB-01 did not name its folder for the bundle (got '')"
            Should -Invoke Copy-Item -Times 0 -Exactly
        }
    }
}

Describe 'Get-FleetStatus' {
    It 'turns each report into one row per port, and gives a server without a report one row saying why' {
        InModuleScope WslPortProxy {
            Mock Invoke-Command -RemoveParameterType Session {
                [pscustomobject]@{ PSComputerName = 'WEB-01'; Ports = @([pscustomobject]@{ Listener = '0.0.0.0:80'; Ok = $true; Problem = '' }, [pscustomobject]@{ Listener = '0.0.0.0:443'; Ok = $false; Problem = 'firewall disabled' }) }
            }
            $servers = 'WEB-01', 'WEB-02', 'APP-7' | ForEach-Object { [pscustomobject]@{ Name = $_; InstallDirectory = 'A' } }
            $open = [pscustomobject]@{ Sessions = @([pscustomobject]@{ ComputerName = 'WEB-01' }, [pscustomobject]@{ ComputerName = 'WEB-02' }); Failed = @{ 'APP-7' = 'cannot connect' } }
            $rows = @(Get-FleetStatus -Server $servers -Open $open -ThrottleLimit 2 -Activity 'a')
            @($rows | ForEach-Object { "$($_.Server)|$($_.Port)|$($_.State)|$($_.Problem)" }) | Should -Be @(
                'WEB-01|0.0.0.0:80|ok|', 'WEB-01|0.0.0.0:443|problem|firewall disabled',
                'WEB-02||failed|no status (is wsl-portproxy installed there?)', 'APP-7||unreachable|cannot connect')
        }
    }
}
