# Unit tests: one reconcile (Private/Reconcile.ps1), locks, keep-alive and the watch loop
# (Private/Watch.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Invoke-Reconcile' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given a clean server, forwards every port, opens the firewall and records both in state.json' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $result = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile)
            $result.PSObject.TypeNames | Should -Contain 'WslPortProxy.RunResult'
            $result.Address | Should -Be '172.28.241.140'
            $result.Written | Should -Be 5
            $result.Message | Should -Be 'Applied: 5 rule(s) written, 0 removed.'
            $state = Get-Content -Raw -LiteralPath (Join-Path $settings.InstallDirectory 'state.json') | ConvertFrom-Json
            @($state.portProxy.PSObject.Properties.Name) | Should -HaveCount 4
            @($state.firewall) | Should -Be @('WslPortProxy-TCP-0.0.0.0-80')
            (Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile)).Message | Should -Be 'No change: every rule is already right.'
        }
    }

    It 'Given -Remove, deletes only what it recorded, without asking WSL' {
        Set-SimPortProxy @{ '0.0.0.0/3389' = '10.0.0.5/3389' }
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $null = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile)
            Mock Find-WslProgram { throw 'must not be called' }
            $result = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile) -Remove
            $result.Removed | Should -Be 5
            $result.Address | Should -BeNullOrEmpty
        }
        @((Get-SimPortProxy).Keys) | Should -Be @('0.0.0.0/3389')
        Get-SimFirewall | Should -BeNullOrEmpty
    }

    It 'Given a failure half-way, still records exactly what it wrote, and fails' {
        Write-SimState 'netsh-faults.json' @{ fail_write_numbers = @(2); writes = 0 }
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            { Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile) } | Should -Throw -ErrorId 'WslPortProxy.NetshFailed'
            $state = Get-Content -Raw -LiteralPath (Join-Path $settings.InstallDirectory 'state.json') | ConvertFrom-Json
            @($state.portProxy.PSObject.Properties.Name) | Should -Be @('0.0.0.0/80')
        }
    }

    It 'writes event 1000 for a change and 1001 for none' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings -Overrides @{ PodmanMachine = $false })
            $null = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive)
            $null = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive)
        }
        Get-SimEvent | Should -Be @('1000 Information Applied: 5 rule(s) written, 0 removed.', '1001 Information No change: every rule is already right.')
    }
}

Describe 'Enter-Lock, Exit-Lock and Invoke-LockedReconcile' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given another handle holds the lock file, does not get it; once closed, does' {
        InModuleScope WslPortProxy {
            $directory = Join-Path $env:ProgramData 'WslPortProxy'
            $first = Enter-Lock -Name Reconcile -Directory $directory
            $first | Should -BeOfType [System.IO.FileStream]
            $first.Name | Should -Be (Join-Path (Join-Path $directory 'locks') 'Reconcile.lock')
            Enter-Lock -Name Reconcile -Directory $directory | Should -BeNullOrEmpty
            Enter-Lock -Name Watch -Directory $directory | Should -Not -BeNullOrEmpty -Because 'each lock is its own file'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            Enter-Lock -Name Reconcile -Directory $directory -TimeoutSeconds 1 | Should -BeNullOrEmpty
            $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1
            Exit-Lock -Lock $first
            $again = Enter-Lock -Name Reconcile -Directory $directory -TimeoutSeconds 5
            $again | Should -BeOfType [System.IO.FileStream]
            Exit-Lock -Lock $again
            Exit-Lock -Lock $null
        }
    }

    It 'makes the lock folder (and the install folder) when missing, for Administrators and SYSTEM only' {
        InModuleScope WslPortProxy {
            $directory = Join-Path $env:ProgramData 'WslPortProxy'
            $folder = Initialize-LockFolder -Directory $directory
            $folder | Should -Be (Join-Path $directory 'locks')
            (Get-Acl -LiteralPath $folder).Sddl | Should -Be 'O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)'
            (Get-LockFolderProblem -Path $folder).Reason | Should -BeNullOrEmpty
        }
    }

    It 'Given an extra entry that lets the task account read the lock folder, locks the folder and its files again' {
        InModuleScope WslPortProxy {
            $directory = Join-Path $env:ProgramData 'WslPortProxy'
            $folder = Initialize-LockFolder -Directory $directory
            Exit-Lock -Lock (Enter-Lock -Name Watch -Directory $directory)
            $file = Join-Path $folder 'Watch.lock'
            $acls = Read-SimState 'acl.json' @{}
            $open = '(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;OICIID;0x1200a9;;;S-1-5-21-1004336348-1177238915-682003330-1001)'
            $acls[[System.IO.Path]::GetFullPath($folder)] = @{ owner = 'BA'; dacl = $open }
            $acls[[System.IO.Path]::GetFullPath($file)] = @{ owner = 'BA'; dacl = $open }
            Write-SimState 'acl.json' $acls
            $problem = Get-LockFolderProblem -Path $folder
            $problem.Repairable | Should -BeTrue
            $problem.Reason | Should -Be 'it lets S-1-5-21-1004336348-1177238915-682003330-1001 open its files'

            Initialize-LockFolder -Directory $directory | Should -Be $folder
            (Get-Acl -LiteralPath $folder).Sddl | Should -Be 'O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)'
            (Get-Acl -LiteralPath $file).Sddl | Should -Be 'O:BAG:SYD:PAI(A;;FA;;;BA)(A;;FA;;;SY)'
        }
    }

    It 'Given a lock folder someone else made (<Case>), refuses it with exit code 8 and never locks anything in it' -ForEach @(
        @{ Case = 'owned by a user'; Plant = { param($Path) New-Item -ItemType Directory -Path $Path -Force | Out-Null; Set-SimPlanted -Path $Path }
            Reason = 'it is owned by S-1-5-21-1004336348-1177238915-682003330-1005, not by Administrators or SYSTEM' }
        @{ Case = 'a link'; Plant = { param($Path) $target = Join-Path $env:ProgramData 'elsewhere'; New-Item -ItemType Directory -Path $target | Out-Null; New-Item -ItemType Directory -Path (Split-Path $Path) -Force | Out-Null; New-Item -ItemType SymbolicLink -Path $Path -Value $target | Out-Null }
            Reason = 'it is a SymbolicLink' }
        @{ Case = 'a file'; Plant = { param($Path) New-Item -ItemType Directory -Path (Split-Path $Path) -Force | Out-Null; Set-Content -LiteralPath $Path -Value 'x' }
            Reason = 'it is not a folder' }
    ) {
        $directory = Join-Path $env:ProgramData 'WslPortProxy'
        & $Plant (Join-Path $directory 'locks')
        InModuleScope WslPortProxy -Parameters @{ Directory = $directory; Reason = $Reason } {
            param($Directory, $Reason)
            { Enter-Lock -Name Reconcile -Directory $Directory } | Should -Throw -ErrorId 'WslPortProxy.LockFolderUnsafe' -ExpectedMessage "The lock folder $(Join-Path $Directory 'locks') cannot be trusted ($Reason*"
            try { Enter-Lock -Name Reconcile -Directory $Directory } catch { $_.Exception.Data['WslPortProxyExitCode'] | Should -Be 8 }
        }
        Test-Path -LiteralPath (Join-Path $directory 'locks/Reconcile.lock') | Should -BeFalse
    }

    It 'Given the lock file cannot be opened at all (not elevated), fails at once with exit code 8 (LockDenied)' {
        InModuleScope WslPortProxy {
            Test-LockBusy -Exception (New-Object System.IO.IOException 'The process cannot access the file because it is being used by another process.', -2147024864) | Should -BeTrue
            Test-LockBusy -Exception (New-Object System.UnauthorizedAccessException 'Access to the path is denied.') | Should -BeFalse
            Test-LockBusy -Exception (New-Object System.IO.DirectoryNotFoundException 'gone') | Should -BeFalse
            $directory = Join-Path $env:ProgramData 'WslPortProxy'
            Mock Test-LockBusy { $false }
            $lock = Enter-Lock -Name Reconcile -Directory $directory
            { Enter-Lock -Name Reconcile -Directory $directory -TimeoutSeconds 30 } | Should -Throw -ErrorId 'WslPortProxy.LockDenied' -ExpectedMessage "Cannot open the lock file $(Join-Path $directory 'locks' | Join-Path -ChildPath 'Reconcile.lock') (*). Run elevated."
            Exit-Lock -Lock $lock
        }
    }

    It 'the module makes no named kernel object (mutex, semaphore, event): any user may create one first in Global\' {
        $module = Split-Path -Parent $global:WslppModuleUnderTest
        $found = @(Get-ChildItem -LiteralPath $module -Recurse -Filter '*.ps1' | Select-String -Pattern 'Threading\.(Mutex|Semaphore|EventWaitHandle)|Global\\')
        $found | Should -BeNullOrEmpty
    }

    It 'Under -WhatIf, reconciles without taking a lock or making its folder' {
        InModuleScope WslPortProxy {
            Mock Enter-Lock { throw 'no lock under -WhatIf' }
            Mock Invoke-Reconcile { [pscustomobject]@{ Message = 'what if' } }
            $settings = [pscustomobject]@{ Server = 'WEB-01'; WaitForWslSeconds = 1; InstallDirectory = $TestDrive }
            (Invoke-LockedReconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile) -WhatIf).Message | Should -Be 'what if'
            Should -Invoke Enter-Lock -Times 0 -Exactly
        }
    }

    It 'Given the lock stays taken, fails with exit code 8' {
        InModuleScope WslPortProxy {
            Mock Enter-Lock { $null }
            $settings = [pscustomobject]@{ Server = 'WEB-01'; WaitForWslSeconds = 1; InstallDirectory = $TestDrive }
            { Invoke-LockedReconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.LockTimeout' -ExpectedMessage 'Another run has been reconciling this server for too long; giving up.'
        }
    }
}

Describe 'The keep-alive' {
    It 'Start-KeepAlive starts wsl --exec sleep infinity and records its process id' {
        InModuleScope WslPortProxy {
            Mock Start-Process { [pscustomobject]@{ Id = 4242 } }
            $process = Start-KeepAlive -WslPath 'wsl.exe' -Distro 'd' -Directory $TestDrive -Log (Open-RunLog -Directory $TestDrive -NoFile)
            $process.Id | Should -Be 4242
            Get-Content -LiteralPath (Join-Path $TestDrive 'keepalive.pid') | Should -Be '4242'
            Should -Invoke Start-Process -Times 1 -Exactly -ParameterFilter { "$ArgumentList" -eq '--distribution d --exec sleep infinity' }
            Start-KeepAlive -WslPath 'wsl.exe' -Distro 'd' -Directory $TestDrive -Log (Open-RunLog -Directory $TestDrive -NoFile) -WhatIf | Should -BeNullOrEmpty
        }
    }

    It 'Stop-KeepAlive stops the recorded process only if it still runs the same wsl.exe' {
        Set-Content -LiteralPath (Join-Path $TestDrive 'keepalive.pid') -Value 4242
        InModuleScope WslPortProxy {
            Mock Stop-Process { }
            Mock Get-Process { [pscustomobject]@{ Id = 4242; Path = 'C:\Other\app.exe'; HasExited = $false } }
            Stop-KeepAlive -WslPath 'C:\WSL\wsl.exe' -Directory $TestDrive -Log (Open-RunLog -Directory $TestDrive -NoFile)
            Should -Invoke Stop-Process -Times 0 -Exactly
            Test-Path -LiteralPath (Join-Path $TestDrive 'keepalive.pid') | Should -BeFalse
        }
        Set-Content -LiteralPath (Join-Path $TestDrive 'keepalive.pid') -Value 4242
        InModuleScope WslPortProxy {
            Mock Stop-Process { }
            Mock Get-Process { [pscustomobject]@{ Id = 4242; Path = 'C:\WSL\wsl.exe'; HasExited = $false } }
            Stop-KeepAlive -WslPath 'C:\WSL\wsl.exe' -Directory $TestDrive -Log (Open-RunLog -Directory $TestDrive -NoFile)
            Should -Invoke Stop-Process -Times 1 -Exactly -ParameterFilter { $Id -eq 4242 }
        }
    }

    It 'Wait-WslChange wakes when the keep-alive ends, or at the re-check' {
        $sh = (Get-Command -Name 'sh' -CommandType Application | Select-Object -First 1).Source
        $process = Start-Process -FilePath $sh -ArgumentList @('-c', '"sleep 0.3"') -PassThru
        InModuleScope WslPortProxy -Parameters @{ Process = $process } {
            param($Process)
            Wait-WslChange -KeepAlive $Process -Seconds 0 | Should -Be 'WSL stopped or restarted (the keep-alive process ended)'
            Wait-WslChange -KeepAlive $null -Seconds 1 | Should -Be 'periodic re-check'
        }
    }
}

Describe 'Save-RunResult and Write-Failure' {
    It 'records the result for the installer, except under -WhatIf' {
        InModuleScope WslPortProxy {
            Save-RunResult -Directory $TestDrive -ExitCode 0 -Message 'fine' -WhatIf
            Test-Path -LiteralPath (Join-Path $TestDrive 'last-run.json') | Should -BeFalse
            Save-RunResult -Directory $TestDrive -ExitCode 4 -Message 'no address'
            $saved = Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'last-run.json') | ConvertFrom-Json
            $saved.exitCode | Should -Be 4
            $saved.message | Should -Be 'no address'
            Save-RunResult -Directory (Join-Path $TestDrive 'missing/folder') -ExitCode 0 -Message 'x' -WarningVariable warnings -WarningAction SilentlyContinue
            "$($warnings[0])" | Should -BeLike 'Cannot record the run result: *'
        }
    }

    It 'logs a failure with its exit code, and where an unexpected one happened' {
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory $TestDrive
            $known = Write-Failure -ErrorRecord (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message 'no address') -Log $log
            $known.ExitCode | Should -Be 4
            $known.Message | Should -Be 'Failed (exit code 4): no address'
            try { throw 'boom' } catch { $unknown = Write-Failure -ErrorRecord $_ -Log $log }
            $unknown.Message | Should -BeLike 'Failed (exit code 1): boom At: *'
            Get-Content -Raw -LiteralPath $log.Path | Should -Match '\[ERROR\] Failed \(exit code 4\): no address'
        }
    }
}

Describe 'Invoke-Watch' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        New-Item -ItemType Directory -Path (Join-Path $global:WslppSim.ProgramData 'WslPortProxy') | Out-Null   # it runs from there
    }
    AfterEach { Remove-SimulatedWindows }

    It 'reconciles, starts a keep-alive, confirms the address, then waits the re-check interval' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            Mock Invoke-LockedReconcile { [pscustomobject]@{ Address = '172.28.1.1'; Message = 'No change: every rule is already right.'; Automatic = @() } }
            Mock Start-KeepAlive { $null }
            Mock Get-WslAddress { '172.28.1.1' }
            Mock Wait-WslChange { throw 'the task was stopped' }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'the task was stopped'
            Should -Invoke Invoke-LockedReconcile -Times 1 -Exactly
            Should -Invoke Start-KeepAlive -Times 1 -Exactly
            Should -Invoke Wait-WslChange -Times 1 -Exactly -ParameterFilter { $Seconds -eq 300 }
            (Get-Content -Raw -LiteralPath (Join-Path $settings.InstallDirectory 'last-run.json') | ConvertFrom-Json).exitCode | Should -Be 0
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Reconciling: watcher started\.(.|\n)*Watcher stopped\.'
        }
    }

    It 'Given the event stream ended with its process still running, stops that process before it follows again' {
        InModuleScope WslPortProxy {
            $auto = @{ From = 'podman'; ListenAddress = '0.0.0.0'; AllowFrom = @(); Limit = 10; Allow = @(@{ First = 8000; Last = 8999 }) }
            $settings = Import-Settings -Settings (New-TestSettings -Overrides @{ AutoPorts = $auto })
            Mock Start-EngineEventStream { [pscustomobject]@{ Started = Get-Date; Command = 'podman events' } }
            Mock Stop-EngineEventStream { }
            Mock Invoke-LockedReconcile { [pscustomobject]@{ Address = '172.28.1.1'; Message = 'No change.'; Automatic = @() } }
            Mock Start-KeepAlive { $null }
            Mock Get-WslAddress { '172.28.1.1' }
            $script:waits = 0
            Mock Wait-WslChange {
                $script:waits++
                if ($script:waits -gt 1) { throw 'stop' }
                'the container event stream ended: podman events ended (still running)'   # stdout closed, process alive
            }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'stop'
            Should -Invoke Start-EngineEventStream -Times 1 -Exactly   # the next start waits for its backoff
            Should -Invoke Stop-EngineEventStream -Times 1 -Exactly -ParameterFilter { $null -ne $Stream }
        }
    }

    It 'Given WSL moved during the reconcile, reconciles again at once' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $script:reconciles = 0
            Mock Invoke-LockedReconcile { $script:reconciles++; [pscustomobject]@{ Address = "172.28.1.$script:reconciles"; Message = 'Applied.'; Automatic = @() } }
            Mock Start-KeepAlive { $null }
            Mock Get-WslAddress { '172.28.1.2' }
            Mock Wait-WslChange { throw 'stop' }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'stop'
            Should -Invoke Invoke-LockedReconcile -Times 2 -Exactly
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Reconciling: WSL changed its address to 172\.28\.1\.2 during the reconcile\.'
        }
    }

    It 'Given failed reconciles, records the exit code and retries after 30, 60, 120 ... seconds up to the re-check interval' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $script:seconds = New-Object System.Collections.Generic.List[int]
            $script:runs = 0
            Mock Invoke-LockedReconcile {
                $script:runs++
                if ($script:runs -eq 6) { return [pscustomobject]@{ Address = '172.28.1.1'; Message = 'Applied.'; Automatic = @() } }
                throw (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message 'no address')
            }
            Mock Start-KeepAlive { $null }
            Mock Get-WslAddress { '172.28.1.1' }
            Mock Wait-WslChange { $script:seconds.Add($Seconds); if ($script:seconds.Count -ge 7) { throw 'stop' }; 'periodic re-check' }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'stop'
            # five failures, a success (the re-check interval), then a failure starts again at 30
            @($script:seconds) | Should -Be @(30, 60, 120, 240, 300, 300, 30)
            (Get-Content -Raw -LiteralPath (Join-Path $settings.InstallDirectory 'last-run.json') | ConvertFrom-Json).exitCode | Should -Be 4
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Trying again in 240 s \(failure 4 in a row\)\.'
        }
    }

    It 'a restart is event 1003, and a failure 3000' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $script:waits = 0
            Mock Invoke-LockedReconcile { throw (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message 'no address') }
            Mock Wait-WslChange { $script:waits++; if ($script:waits -gt 1) { throw 'stop' }; 'WSL stopped or restarted (the keep-alive process ended)' }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'stop'
        }
        @(Get-SimEvent | ForEach-Object { ($_ -split ' ')[0] }) | Should -Be @('1002', '3000', '1003', '3000')
    }

    It 'Given another watcher holds the lock, returns at once' {
        InModuleScope WslPortProxy {
            Mock Enter-Lock { $null }
            Mock Invoke-LockedReconcile { }
            Invoke-Watch -Settings (Import-Settings -Settings (New-TestSettings)) -Log (Open-RunLog -Directory $TestDrive)
            Should -Invoke Invoke-LockedReconcile -Times 0 -Exactly
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Another watcher is already running for this server; this one exits\.'
        }
    }
}
