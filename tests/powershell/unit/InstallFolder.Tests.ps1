# Unit tests: the install folder cannot be planted, and removing it (Private/InstallFolder.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Move-PlantedItem and Assert-InstallDirectory' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'moves a folder aside with a warning, and not under -WhatIf' {
        $path = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        New-Item -ItemType Directory -Path $path | Out-Null
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            Move-PlantedItem -Path $Path -Reason 'a test' -WhatIf | Should -BeNullOrEmpty
            Test-Path -LiteralPath $Path | Should -BeTrue
            $aside = Move-PlantedItem -Path $Path -Reason 'a test' -WarningVariable warnings -WarningAction SilentlyContinue
            $aside | Should -Match 'WslPortProxy\.planted-\d{14}$'
            Test-Path -LiteralPath $aside | Should -BeTrue
            Test-Path -LiteralPath $Path | Should -BeFalse
            "$($warnings[0])" | Should -BeExactly "$Path was moved aside to $aside because a test; a fresh folder is used instead."
        }
    }

    It 'Given a planted folder it cannot move aside (someone holds it open), fails with exit code 11 naming it, not a raw error' {
        InModuleScope WslPortProxy {
            Mock Rename-Item { throw [System.IO.IOException]::new('The process cannot access the file because it is being used by another process.') }
            $failure = { Move-PlantedItem -Path 'C:\ProgramData\WslPortProxy' -Reason 'it is owned by S-1-5-21-1' } |
                Should -Throw -ErrorId 'WslPortProxy.InstallFolderUnsafe' -PassThru
            $failure.Exception.Message | Should -BeExactly ('C:\ProgramData\WslPortProxy cannot be trusted (it is owned by S-1-5-21-1) ' +
                'and cannot be moved aside: The process cannot access the file because it is being used by another process. ' +
                'Nothing was installed. Find what holds it open (for example with Resource Monitor), close it, and run the installer again.')
            Get-FailureExitCode -ErrorRecord $failure | Should -Be 11
        }
    }

    It 'fails with exit code 11 when the folder is not safe after copying' {
        InModuleScope WslPortProxy {
            Mock Get-UnsafeReason { 'it lets BU write (0x100004)' } -ParameterFilter { $Access }
            $failure = { Assert-InstallDirectory -Path 'C:\ProgramData\WslPortProxy' } | Should -Throw -ErrorId 'WslPortProxy.InstallFolderUnsafe' -PassThru
            $failure.Exception.Message | Should -BeExactly 'The install folder C:\ProgramData\WslPortProxy is not safe after copying (it lets BU write (0x100004)), so the task was not registered. Check who else manages this folder, then run the installer again.'
            Get-FailureExitCode -ErrorRecord $failure | Should -Be 11
        }
    }
}

Describe 'Get-AncestorProblem' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given <Case>, says "<Expected>"' -ForEach @(
        @{ Case = 'C:\ as Windows leaves it (TrustedInstaller''s; users may create folders; Modify only inherit-only)'; Owner = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464'; Dacl = '(A;OICIIO;SDGXGWGR;;;AU)(A;;LC;;;AU)(A;OICIIO;GA;;;SY)(A;;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)'; Expected = '' }
        @{ Case = 'C:\ProgramData (users may create folders and files)'; Owner = 'SY'; Dacl = '(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)(A;CI;0x100116;;;BU)'; Expected = '' }
        @{ Case = 'a folder made in C:\ (the inherited Modify of Authenticated Users)'; Owner = 'BA'; Dacl = '(A;OICIID;FA;;;BA)(A;OICIID;0x1301bf;;;AU)'; Expected = 'lets Authenticated Users (AU) delete, rename or change the permissions of it (0x1301bf)' }
        @{ Case = 'Users may change its permissions'; Owner = 'BA'; Dacl = '(A;;WD;;;BU)'; Expected = 'lets Users (BU) delete, rename or change the permissions of it (WD)' }
        @{ Case = 'a user may take it'; Owner = 'BA'; Dacl = '(A;;WO;;;S-1-5-21-1-2-3-1005)'; Expected = 'lets S-1-5-21-1-2-3-1005 delete, rename or change the permissions of it (WO)' }
        @{ Case = 'Everyone may delete what is in it'; Owner = 'BA'; Dacl = '(A;;0x100040;;;WD)'; Expected = 'lets Everyone (WD) delete or rename what is in it (0x100040)' }
        @{ Case = 'a user owns it'; Owner = 'S-1-5-21-1-2-3-1005'; Dacl = '(A;;FA;;;BA)'; Expected = 'is owned by S-1-5-21-1-2-3-1005, who may change its permissions' }
    ) {
        $path = Join-Path $global:WslppSim.Root 'Folder'
        New-Item -ItemType Directory -Path $path | Out-Null
        Set-SimAcl -Path $path -Owner $Owner -Dacl $Dacl -Protected
        InModuleScope WslPortProxy -Parameters @{ Path = $path; Expected = $Expected } {
            param($Path, $Expected)
            Get-AncestorProblem -Path $Path | Should -BeExactly $Expected
        }
    }
}

Describe 'Assert-InstallAncestor' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given D:\Apps\WslPortProxy on a data volume as Format leaves it, makes D:\Apps, finds it inherits Modify for Authenticated Users, removes it again and fails with exit 11' {
        $volume = Join-Path $global:WslppSim.Root 'D'
        New-Item -ItemType Directory -Path $volume | Out-Null
        Set-SimAcl -Path $volume -Owner 'BA' -Dacl $global:SimVolumeRootDacl -Protected
        $apps = Join-Path $volume 'Apps'
        $path = Join-Path $apps 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Path = $path; Apps = $apps } {
            param($Path, $Apps)
            $failure = { Assert-InstallAncestor -Path $Path } | Should -Throw -ErrorId 'WslPortProxy.InstallFolderUnsafe' -PassThru
            $failure.Exception.Message | Should -BeExactly "The install folder $Path is not safe: its parent folder $Apps lets Authenticated Users (AU) delete, rename or change the permissions of it (0x1301bf), and whoever may do that can replace what the task runs elevated. Nothing was installed. Choose an install folder whose parent folders only Administrators, SYSTEM or TrustedInstaller may change (the default %ProgramData%\WslPortProxy is one), or remove that right from $Apps."
            Get-FailureExitCode -ErrorRecord $failure | Should -Be 11
            Test-Path -LiteralPath $Apps | Should -BeFalse
        }
    }

    It 'passes for %ProgramData%\WslPortProxy, and makes nothing under -WhatIf' {
        $path = Join-Path (Join-Path $global:WslppSim.ProgramData 'Vendor') 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            { Assert-InstallAncestor -Path $Path -WhatIf } | Should -Not -Throw
            Test-Path -LiteralPath (Split-Path $Path) | Should -BeFalse
            { Assert-InstallAncestor -Path $Path } | Should -Not -Throw
            Test-Path -LiteralPath (Split-Path $Path) | Should -BeTrue
        }
    }
}

Describe 'New-InstallDirectory' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'makes the folder inside a locked staging folder, moves it into place, locks it and leaves no staging folder' {
        $path = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            New-InstallDirectory -Path $Path -Account 'CORP\svc-podman'
            Get-InstallFolderProblem -Path $Path | Should -BeExactly ''
        }
        @(Get-ChildItem -LiteralPath $global:WslppSim.ProgramData -Force | ForEach-Object Name) | Should -Be @('WslPortProxy')
        $calls = Read-SimState 'icacls.json'
        $calls | Should -HaveCount 4
        $calls[0][0] | Should -BeLike "$path.new-*"   # the staging folder is locked before anything is made in it
        $calls[2][0] | Should -Be $calls[0][0]
        $calls[3] | Should -Be @($path, '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F', '*S-1-5-18:(OI)(CI)F', 'CORP\svc-podman:(OI)(CI)RX', '/L', '/Q')
    }

    It 'Given something put into the staging folder before it was locked, fails with exit 11 and makes no install folder' {
        $path = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            Mock Protect-InstallDirectory { New-Item -ItemType Directory -Path (Join-Path $Path 'x') | Out-Null }
            $failure = { New-InstallDirectory -Path $Path -Account 'CORP\svc-podman' } | Should -Throw -ErrorId 'WslPortProxy.InstallFolderUnsafe' -PassThru
            $failure.Exception.Message | Should -BeLike "Could not make the install folder $Path safely (*), so nothing was installed: someone else may be writing to $(Split-Path $Path). The staging folder $Path.new-* was left for you to look at; run the installer again."
            Get-FailureExitCode -ErrorRecord $failure | Should -Be 11
            Test-Path -LiteralPath $Path | Should -BeFalse
        }
    }

    It 'Given someone takes the name while the folder is made, does not move into or over it: exit 11' {
        $path = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            Mock Protect-InstallDirectory {
                Invoke-Icacls -ArgumentList @($Path, '/setowner', '*S-1-5-32-544', '/L', '/Q')
                Invoke-Icacls -ArgumentList @($Path, '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F', '/L', '/Q')
                New-Item -ItemType Directory -Path ($Path -replace '\.new-[0-9a-f]+$', '') | Out-Null   # the race
            }
            $failure = { New-InstallDirectory -Path $Path -Account 'CORP\svc-podman' } | Should -Throw -ErrorId 'WslPortProxy.InstallFolderUnsafe' -PassThru
            $failure.Exception.Message | Should -BeLike "Could not make the install folder $Path safely (*), so nothing was installed*"
            @(Get-ChildItem -LiteralPath $Path -Force) | Should -HaveCount 0   # nothing moved into the planted folder
        }
    }
}

Describe 'Get-InstallFolderProblem and Copy-CarriedState' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Path = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Path = $script:Path } {
            param($Path)
            New-InstallDirectory -Path $Path -Account 'CORP\svc-podman'
        }
        New-Item -ItemType Directory -Path (Join-Path $script:Path 'logs') | Out-Null
        Set-Content -LiteralPath (Join-Path $script:Path 'logs/Update-WslPortProxy.log') -Value 'x'
    }
    AfterEach { Remove-SimulatedWindows }

    It 'Given <Case> inside, says "<Expected>"' -ForEach @(
        @{ Case = 'nothing wrong'; Expected = '' }
        @{ Case = 'a link at podman-wsl'; Expected = 'podman-wsl in it: it is a SymbolicLink (to *)' }
        @{ Case = 'the watcher''s own link to the WSL package''s wsl.exe'; Expected = '' }
        @{ Case = 'a link to another wsl.exe where the watcher puts its own'; Expected = 'podman-wsl?Microsoft?WindowsApps?wsl.exe in it: it is a SymbolicLink (to *)' }
        @{ Case = 'a log file a user owns'; Expected = 'logs?Update-WslPortProxy.log in it: it is owned by S-1-5-21-1004336348-1177238915-682003330-1005, not by Administrators or SYSTEM' }
    ) {
        if ($Case -eq 'a link at podman-wsl') {
            New-Item -ItemType SymbolicLink -Path (Join-Path $script:Path 'podman-wsl') -Target $global:WslppSim.Root | Out-Null
        }
        if ($Case -eq 'a log file a user owns') { Set-SimPlanted -Path (Join-Path $script:Path 'logs/Update-WslPortProxy.log') }
        if ($Case -like '*wsl.exe*') {
            $apps = Join-Path $script:Path 'podman-wsl/Microsoft/WindowsApps'
            New-Item -ItemType Directory -Path $apps -Force | Out-Null
            $target = $(if ($Case -like 'the watcher*') { Join-Path $global:WslppSim.ProgramFiles 'WSL/wsl.exe' } else { Join-Path $global:WslppSim.Root 'evil.exe' })
            New-Item -ItemType SymbolicLink -Path (Join-Path $apps 'wsl.exe') -Target $target | Out-Null
        }
        InModuleScope WslPortProxy -Parameters @{ Path = $script:Path; Expected = $Expected } {
            param($Path, $Expected)
            Get-InstallFolderProblem -Path $Path | Should -BeLike $Expected
        }
    }

    It 'Assert-InstallDirectory fails with exit 11 for a file planted deep inside after copying' {
        Set-SimPlanted -Path (Join-Path $script:Path 'logs/Update-WslPortProxy.log')
        InModuleScope WslPortProxy -Parameters @{ Path = $script:Path } {
            param($Path)
            $failure = { Assert-InstallDirectory -Path $Path } | Should -Throw -ErrorId 'WslPortProxy.InstallFolderUnsafe' -PassThru
            Get-FailureExitCode -ErrorRecord $failure | Should -Be 11
        }
    }

    It 'says when the permissions are inherited rather than the installer''s' {
        $other = Join-Path $global:WslppSim.ProgramData 'Other'
        New-Item -ItemType Directory -Path $other | Out-Null
        Set-SimAcl -Path $other -Dacl '(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)'
        InModuleScope WslPortProxy -Parameters @{ Path = $other } {
            param($Path)
            Get-InstallFolderProblem -Path $Path | Should -BeExactly 'its permissions are inherited from its parent folder, not the ones the installer sets'
        }
    }

    It 'carries over valid state.json and pause.json from an administrator''s folder only; invalid JSON gets a warning' {
        $aside = Join-Path $global:WslppSim.ProgramData 'aside'
        New-Item -ItemType Directory -Path $aside | Out-Null
        Set-Content -LiteralPath (Join-Path $aside 'state.json') -Value '{"server":"WEB-01"}'
        Set-Content -LiteralPath (Join-Path $aside 'pause.json') -Value 'not json'
        $planted = Join-Path $global:WslppSim.ProgramData 'planted'
        New-Item -ItemType Directory -Path $planted | Out-Null
        Set-Content -LiteralPath (Join-Path $planted 'pause.json') -Value '{}'
        Set-SimPlanted -Path $planted
        InModuleScope WslPortProxy -Parameters @{ Path = $script:Path; Aside = $aside; Planted = $planted } {
            param($Path, $Aside, $Planted)
            Copy-CarriedState -From $Aside -To $Path -WarningVariable warnings -WarningAction SilentlyContinue
            "$($warnings[0])" | Should -BeExactly "$(Join-Path $Aside 'pause.json') was not carried over: it is not valid JSON."
            Get-Content -Raw -LiteralPath (Join-Path $Path 'state.json') | Should -Match 'WEB-01'
            Test-Path -LiteralPath (Join-Path $Path 'pause.json') | Should -BeFalse
            Copy-CarriedState -From $Planted -To $Path
            Test-Path -LiteralPath (Join-Path $Path 'pause.json') | Should -BeFalse
        }
    }
}

Describe 'Get-WriteTargetProblem' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Folder = Join-Path $global:WslppSim.ProgramFiles 'windows_exporter/textfile_inputs'
        New-Item -ItemType Directory -Path $script:Folder -Force | Out-Null
        $script:File = Join-Path $script:Folder 'wsl.prom'
    }
    AfterEach { Remove-SimulatedWindows }

    It 'Given <Case>, says "<Expected>"' -ForEach @(
        @{ Case = 'a folder made under %ProgramFiles%'; Expected = '' }
        @{ Case = 'a missing folder'; Expected = 'its folder * does not exist' }
        @{ Case = 'a folder Users may write'; Expected = 'its folder * is not one only Administrators and SYSTEM may write: it lets BU write (0x100116)' }
        @{ Case = 'the file is a link'; Expected = 'the file is not safe to replace: it is a SymbolicLink (to *)' }
        @{ Case = 'a folder above it Authenticated Users may rename'; Expected = 'the folder *windows_exporter on its path lets Authenticated Users (AU) delete, rename or change the permissions of it (0x1301bf)' }
    ) {
        switch ($Case) {
            'a missing folder' { Remove-Item -LiteralPath $script:Folder }
            'a folder Users may write' { Set-SimAcl -Path $script:Folder -Dacl '(A;OICI;FA;;;BA)(A;CI;0x100116;;;BU)' -Protected }
            'the file is a link' { New-Item -ItemType SymbolicLink -Path $script:File -Target $global:WslppSim.Root | Out-Null }
            'a folder above it Authenticated Users may rename' { Set-SimAcl -Path (Split-Path $script:Folder) -Dacl '(A;OICI;FA;;;BA)(A;;0x1301bf;;;AU)' -Protected }
        }
        InModuleScope WslPortProxy -Parameters @{ Path = $script:File; Expected = $Expected } {
            param($Path, $Expected)
            Get-WriteTargetProblem -Path $Path | Should -BeLike $Expected
        }
    }
}

Describe 'Remove-InstallDirectory' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Remove-InstallDirectory keeps logs unless Purge' {
        $target = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        New-Item -ItemType Directory -Path (Join-Path $target 'logs') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $target 'state.json') -Value '{}'
        InModuleScope WslPortProxy -Parameters @{ Target = $target } { param($Target) Remove-InstallDirectory -Path $Target }
        @(Get-ChildItem -LiteralPath $target | ForEach-Object { $_.Name }) | Should -Be @('logs')
        InModuleScope WslPortProxy -Parameters @{ Target = $target } { param($Target) Remove-InstallDirectory -Path $Target -Purge }
        Test-Path -LiteralPath $target | Should -BeFalse
        InModuleScope WslPortProxy -Parameters @{ Target = $target } { param($Target) Remove-InstallDirectory -Path $Target }
    }
}
